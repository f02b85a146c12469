package dev.elector.spring;

import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.beans.factory.BeanFactory;

/** Proxies (CGLIB) every bean with a {@link LeaderOnly} method so that the method runs only on the leader. */
public class LeaderOnlyPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor {
  private static final long serialVersionUID = 1L;

  public LeaderOnlyPostProcessor() {
    setProxyTargetClass(true);
    // Outermost: a call that is skipped must not reach other advice (transactions, retries) either.
    setBeforeExistingAdvisors(true);
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    super.setBeanFactory(beanFactory);
    this.advisor = new DefaultPointcutAdvisor(new AnnotationMatchingPointcut(null, LeaderOnly.class, true),
        new LeaderOnlyInterceptor(beanFactory.getBeanProvider(ElectorCandidate.class)));
  }
}
